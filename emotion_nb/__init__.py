__version__ = "0.1.0"

from . import hf  # registers the model classes with the Auto classes of transformers
