"""Background work: the outbox, the job runner, its two transports, timers and notifications.

Public surface:

- :func:`outbox.command_transaction` — a unit of work whose jobs are dispatched after commit;
  :func:`outbox.add_job` records one in the current transaction.
- :class:`runner.JobRunner` — runs one job by id (the same code in-process and in a Celery worker).
- :func:`transport.make_transport` — ``InlineTransport`` (no ``BROKER_URL``) or ``CeleryTransport``.
- :func:`timers.tick` — one scheduler round: sweep lost jobs, escalate, remind; :mod:`scheduler`
  runs those rounds (Celery beat or the embedded thread).
- :class:`notifications.Notifier` — in-app notifications and their e-mails.
- :class:`pdf_jobs.PdfJobs` — the ``make_pdf`` job kind: PDF/A copies of the .docx a case stored.
"""
