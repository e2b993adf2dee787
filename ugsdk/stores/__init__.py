"""Chat stores for web apps with several workers or machines.

Each lives in its own module so that importing one loads only its own dependency:

- :mod:`ugsdk.stores.redis`: :class:`~ugsdk.stores.redis.RedisChatStore` (``pip install
  'ugsdk[redis]'``), atomic updates with a lifetime;
- :mod:`ugsdk.stores.django`: :class:`~ugsdk.stores.django.DjangoCacheStore`, on any
  Django cache backend.

The in-process and file stores are in :mod:`ugsdk.store`.
"""
