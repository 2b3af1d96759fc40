"""``voicepanel load``: many copies of a scenario at once, each in its own room with its own
call, as Locust users. Locust schedules the users, runs distributed (``--master`` /
``--worker``), serves its web UI and writes its CSV; each scored turn is a Locust request
event, so all of that works unchanged.

Locust's users are gevent greenlets in a monkey-patched process; the conversations are
asyncio (sockets, the audio loop). Each Locust process that runs users therefore hands its
conversations to one engine process of plain asyncio (``engine``) and waits for the scored
results cooperatively (``locustfile``).
"""
