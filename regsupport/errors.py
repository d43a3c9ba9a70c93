"""The one error type a service raises when it refuses a change.

Every app's refusals subclass :class:`Refusal` (``TraineeError``, ``ProviderError``,
``JobError``, ``DqtFixError``), so the confirmation pages, the commands and the bulk loop
catch this one type. The message is written for a support agent and shown as it is; a
service that raises it has changed nothing.
"""


class Refusal(Exception):
    """A change was refused; the message says why, in words a support agent can act on."""


class ReasonRequired(Refusal):
    """A change was asked for without a reason; every change records one."""


class StaleVersion(Refusal):
    """A change was made from a copy of a record that someone else has changed since; the
    message names who changed what, and nothing was saved."""
