from ..en_GB.formats import *  # noqa: F403 - one style whichever English locale
