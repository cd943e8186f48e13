from . import main
from . import simulator
