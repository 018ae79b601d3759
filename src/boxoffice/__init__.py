"""boxoffice: predict a film's worldwide box-office gross."""

__version__ = "0.1.0"
