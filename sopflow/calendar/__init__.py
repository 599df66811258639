"""Working days and due dates: the office calendar (Indonesian holidays) and escalation of overdue tasks.

Public surface: :func:`sopflow.calendar.working_days.load_calendar` and the calendar it returns,
:func:`sopflow.calendar.escalation.escalate_overdue`.
"""
