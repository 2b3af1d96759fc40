"""``voicepanel load``: many copies of a scenario at once, each in its own room with its own
call, as Locust users. Locust schedules the users, runs distributed (``--master`` /
``--worker``), serves its web UI and writes its CSV; each scored turn is a Locust request
event, so all of that works unchanged.

Locust's users are gevent greenlets; the conversations are asyncio (sockets, audio loop).
The two meet in ``engine``: one real thread per process runs the asyncio side, and each
user hands it a conversation and waits for the result cooperatively. Locust is loaded
without gevent's monkey-patching (``voicepanel load`` sets LOCUST_SKIP_MONKEY_PATCH) so
asyncio keeps the real sockets and threads.
"""
