from . import test_requests
from . import test_replies
from . import test_slots
from . import test_staff
from . import test_reply_context
from . import test_inbox
from . import test_access
