"""Concurrent writers on one group lose nothing (SQLite file database, or PostgreSQL).

Each thread has its own test client and app context, so its own database session.
"""

import threading

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
THREADS = 8
PER_THREAD = 5


def run_together(app, token, scim, jobs):
    """Run each job(client) in its own thread, released at once; returns their results.

    Each thread gets a client of the `scim` fixture's kind with its own test client.
    """
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(index, job):
        with app.app_context():
            client = type(scim)(app.test_client(), token)
            barrier.wait()
            results[index] = job(client)

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_member_adds_lose_nothing(app, token, scim, make_user):
    group = scim.post("Groups", {"displayName": "Crowded"}).get_json()["id"]
    batches = [[make_user(f"c{t}-{i}@example.com")["id"] for i in range(PER_THREAD)]
               for t in range(THREADS)]

    def adder(ids):
        def job(client):
            statuses = []
            for user_id in ids:  # one PATCH per member: many interleaved transactions
                body = {"schemas": [PATCH_OP], "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": user_id}]}]}
                statuses.append(client.patch(f"Groups/{group}", body).status_code)
            return statuses
        return job

    results = run_together(app, token, scim, [adder(ids) for ids in batches])

    assert results == [[204] * PER_THREAD] * THREADS
    body = scim.get(f"Groups/{group}").get_json()
    assert sorted(m["value"] for m in body["members"]) == sorted(sum(batches, []))
    # Every add bumped the version exactly once: no lost update on the group row either.
    assert body["meta"]["version"] == f'W/"{1 + THREADS * PER_THREAD}"'


def test_concurrent_creates_of_one_name_give_one_group(app, token, scim):
    def create(client):
        return client.post("Groups", {"displayName": "Only One"}).status_code

    results = run_together(app, token, scim, [create] * 4)

    assert sorted(results) == [201, 409, 409, 409]
    listing = scim.get('Groups?filter=displayName eq "only one"').get_json()
    assert listing["totalResults"] == 1
