"""Process definitions: loading a BPMN diagram safely, its task rules, drafts, versions and their diff.

Public surface: :func:`sopflow.process.spec_loader.load_process_file` (validated BPMN + forms +
config), :mod:`task_rules` (lanes, forms and properties of a task spec), :mod:`drafts` (the
editor's drafts), :mod:`versions` (published versions) and :mod:`version_diff`.
"""
