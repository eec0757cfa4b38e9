"""The page cache of one production server without Redis: a folder the gunicorn workers share."""

import random

from django.core.cache.backends.filebased import FileBasedCache


class FileCache(FileBasedCache):
    """Django's file cache, counting its files on one write in CULL_EVERY rather than on every write:
    listing a folder of thousands of pages costs more than writing one."""

    CULL_EVERY = 50

    def _cull(self) -> None:
        if random.randrange(self.CULL_EVERY) == 0:
            super()._cull()
