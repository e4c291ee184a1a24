__version__ = "0.1.0"

# The front door: `from emotion_nb import train, Predictor` works, and each name's module (torch, transformers) is
# imported only when the name is first used (PEP 562), so `import emotion_nb` and `emotion-nb --help` stay fast.
_FRONT_DOOR = {
    'train': 'run', 'TrainOptions': 'options', 'recipe_options': 'options', 'RECIPES': 'options',
    'Predictor': 'inference', 'predict_file': 'corpus', 'explain': 'insight', 'score': 'evaluation',
    'read_track_a': 'data', 'data_path': 'catalog', 'LABELS': 'data', 'BadInputError': 'core',
    'tune': 'tuning', 'Callback': 'training',
}
__all__ = ['__version__', *_FRONT_DOOR]

def __getattr__(name):
    import importlib
    if name in _FRONT_DOOR: return getattr(importlib.import_module(f'{__name__}.{_FRONT_DOOR[name]}'), name)
    try: return importlib.import_module(f'{__name__}.{name}')  # a module used as an attribute: emotion_nb.data
    except ModuleNotFoundError as e:
        if e.name != f'{__name__}.{name}': raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

def __dir__(): return sorted(__all__)
