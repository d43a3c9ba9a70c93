class ProviderError(Exception):
    """A provider or lead partner change was refused; the message is for a support agent."""
