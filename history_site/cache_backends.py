"""The page cache's backends: Django's own, each with one cost taken out of its every call."""

import random

from django.core.cache.backends import redis
from django.core.cache.backends.filebased import FileBasedCache


class FileCache(FileBasedCache):
    """The page cache of one production server without Redis: a folder the gunicorn workers share.

    Django's file cache counts its files on every write; this one on one write in CULL_EVERY, since
    listing a folder of thousands of pages costs more than writing one."""

    CULL_EVERY = 50

    def _cull(self) -> None:
        if random.randrange(self.CULL_EVERY) == 0:
            super()._cull()


class RedisCacheClient(redis.RedisCacheClient):
    """Django's Redis client makes a redis-py client on every call, which costs more than the call
    itself when a cached page is served; this one keeps one for each server."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        if index not in self._clients:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            self._clients[index] = self._client(connection_pool=self._pools[index])
        return self._clients[index]


class RedisCache(redis.RedisCache):
    """Django's Redis cache with the client above: several app servers share the page cache."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
