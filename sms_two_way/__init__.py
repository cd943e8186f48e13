from . import models
from . import controllers
from . import wizard
from .hooks import uninstall_hook
