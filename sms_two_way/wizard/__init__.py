from . import sms_keyword_tester
