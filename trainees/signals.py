"""Signals other apps listen to; trainees never imports its listeners.

``trainee_changed`` is sent by every service in ``trainees.services`` that changes a
trainee, inside the service's transaction (so a listener's database writes, e.g. a DQT
job row, roll back with the change). Keyword arguments:

* ``trainee`` – the trainee after the change (saved);
* ``event`` – what happened, in the domain's words: ``"unwithdraw"``,
  ``"change_training_route"``, ``"revert_award"``, ``"discard_duplicate"``,
  ``"create_previous_trainee"``;
* ``changed_fields`` – set of model field names whose value changed;
* ``send_to_dqt`` – whether the playbook wants DQT told (False where it says the fix sends
  nothing, e.g. a route change or an award undo, which must be corrected on DQT by hand);
* ``actor`` – the staff user, or None from the shell.
"""

import django.dispatch

trainee_changed = django.dispatch.Signal()
