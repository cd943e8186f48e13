from . import survey_sms_invite
