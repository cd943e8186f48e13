from . import sms_keyword_tester
from . import sms_faq_tester
