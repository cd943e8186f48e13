from . import sms_appointment_report
