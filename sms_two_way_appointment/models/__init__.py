from . import res_company
from . import res_config_settings
from . import calendar_event_type
from . import calendar_event
from . import calendar_attendee
from . import sms_prompt
from . import sms_keyword
from . import sms_conversation
