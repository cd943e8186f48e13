from . import answers
