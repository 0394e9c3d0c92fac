"""Installs mmagents: multi-agent RL methods on TensorFlow 2 and TF-Agents."""

import setuptools

CORE = [
    "tensorflow==2.15.1",
    "tensorflow-probability==0.23.0",
    "tf-agents==0.19.0",
    "numpy>=1.26,<2",
    "gymnasium>=0.29,<=1.3.0",
    # A real pin: newer releases break tf.function(driver.run) with dict specs.
    "typing-extensions==4.5.0",
    "pettingzoo>=1.24,<1.28",
    "absl-py>=1.0",
    "tensorboard",
    "matplotlib>=3.7",
    # SUMO (environments/sumo): the binaries ship inside the eclipse-sumo wheel.
    "eclipse-sumo==1.28.0",
    "traci==1.28.0",
    "libsumo==1.28.0",
]

EXTRAS = {
    "gpu": ["tensorflow[and-cuda]==2.15.1"],
    "tune": ["ray[tune]==2.55.1", "pydantic<2", "pyarrow<26"],
    "dev": ["pytest>=7"],
}

setuptools.setup(
    name="mmagents",
    version="0.1.0",
    description=("Cooperative and mixed-motive multi-agent RL (CM3, HSD, LIO, "
                 "MetaGrad, AgA) on TensorFlow 2 and TF-Agents."),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=setuptools.find_packages(
        include=["mmagents*", "environments*", "launchers*"]),
    python_requires=">=3.10,<3.12",
    install_requires=CORE,
    extras_require=EXTRAS,
    license="Apache-2.0",
)
