from regsupport.errors import Refusal


class ProviderError(Refusal):
    """A provider or lead partner change was refused; the message is for a support agent."""
