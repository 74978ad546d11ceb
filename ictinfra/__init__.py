"""ictinfra: infrastructure as code for a prefecture's ICT platform."""

__version__ = "0.1.0"
