from regsupport.errors import Refusal


class TraineeError(Refusal):
    """A trainee change was refused; the message is written for a support agent."""


class TraineeStateError(TraineeError):
    """An illegal state transition (e.g. awarding a trainee who is not recommended)."""
