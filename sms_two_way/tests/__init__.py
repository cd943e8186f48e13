from . import test_access
from . import test_outbound
from . import test_partner_matching
from . import test_webhook
from . import test_tour
