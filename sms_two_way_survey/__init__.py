from . import core
from . import models
from . import wizard
