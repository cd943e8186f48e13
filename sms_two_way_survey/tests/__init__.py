from . import test_answers
from . import test_survey_sms
from . import test_survey_sms_invite
from . import test_access
