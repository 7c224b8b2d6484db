"""Data for the benchmarks, written straight into MongoDB and S3 (no API calls),
plus signed cookies for the seeded users."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from bson import ObjectId
from pymongo import MongoClient

from app.core.security import create_access_token, hash_password_sync
from bench.env import JWT_SECRET, Backends

SEARCH_MEETINGS = 5_000
SEARCH_HITS = 50
# Hits carry this word in their name; the others never do.
NEEDLE = "Oakfield"
# Hits are created inside [RANGE_FROM, RANGE_TO]; so are a quarter of the others.
RANGE_FROM = datetime(2025, 3, 1, tzinfo=UTC)
RANGE_TO = datetime(2025, 5, 31, tzinfo=UTC)


def token_for(user_id: ObjectId) -> str:
    return create_access_token(str(user_id), JWT_SECRET, timedelta(days=1), 0)


def _user(email: str, password_hash: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "_id": ObjectId(),
        "email": email,
        "firstName": "Bench",
        "lastName": "User",
        "password": password_hash,
        "role": "landlord",
        "status": "active",
        "company": "Bench Homes",
        "tokenVersion": 0,
        "deleted": False,
        "createdAt": now,
        "updatedAt": now,
    }


def _meeting(owner: ObjectId, number: int, created: datetime, name: str) -> dict[str, Any]:
    base = f"http://127.0.0.1/media/meetings/bench-{number:05d}"
    return {
        "_id": ObjectId(),
        "meeting_id": f"bench-{number:05d}-{ObjectId()}",
        "name": name,
        "first_name": "Alex",
        "last_name": f"Tenant{number}",
        "house_name_number": str(number % 200 + 1),
        "street_road": "Station Road",
        "city": "Leeds",
        "country": "UK",
        "post_code": f"LS{number % 30} {number % 9}AB",
        "phone_number": "+447700900000",
        "reference": f"REF-{number:05d}",
        "repair_detail": "Damp patch in the bedroom ceiling, spreading near the window.",
        "work_details": [
            {"_id": ObjectId(), "detail": "Inspect", "target_time": "7 days", "timestamp": created}
        ],
        "target_time": "7 days",
        "special_notes": {},
        "structured_special_notes": {},
        "owner": owner,
        "userId": owner,
        "created_by": owner,
        "last_updated_by": owner,
        "recordings": [
            {
                "_id": ObjectId(),
                "url": f"{base}/rec.webm",
                "cloudinary_id": f"meetings/bench-{number:05d}/rec.webm",
                "timestamp": created,
                "size": 5_000_000,
                "duration": 42.0,
            }
        ],
        "screenshots": [
            {
                "_id": ObjectId(),
                "url": f"{base}/shot{i}.png",
                "cloudinary_id": f"meetings/bench-{number:05d}/shot{i}.png",
                "timestamp": created,
                "size": 200_000,
            }
            for i in range(2)
        ],
        "access_history": [],
        "total_recordings": 1,
        "total_screenshots": 2,
        "total_access_count": 0,
        "deleted": False,
        "archived": False,
        "createdAt": created,
        "updatedAt": created,
    }


def seed(back: Backends, db_name: str) -> dict[str, Any]:
    """Users for every benchmark, 5,000 meetings for the search user, and the bucket."""
    rng = random.Random(8)
    client: MongoClient[dict[str, Any]] = MongoClient(back.mongo.url)
    db = client[db_name]
    password_hash = hash_password_sync("Bench-Password-1")
    me_user = _user("me@bench.test", password_hash)
    search_user = _user("search@bench.test", password_hash)
    media_user = _user("media@bench.test", password_hash)
    db.users.insert_many([me_user, search_user, media_user])

    hits = set(rng.sample(range(SEARCH_MEETINGS), SEARCH_HITS))
    span = (RANGE_TO - RANGE_FROM).total_seconds()
    docs = []
    for number in range(SEARCH_MEETINGS):
        if number in hits:
            created = RANGE_FROM + timedelta(seconds=rng.uniform(0, span))
            name = f"{NEEDLE} Court flat {number}"
        else:
            if number % 4 == 0:
                created = RANGE_FROM + timedelta(seconds=rng.uniform(0, span))
            else:
                created = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(days=rng.uniform(0, 780))
            name = f"Inspection {number} Elm Street"
        docs.append(_meeting(search_user["_id"], number, created, name))
    for start in range(0, len(docs), 500):
        db.meetings.insert_many(docs[start : start + 500])
    client.close()

    s3 = boto3.client(
        "s3",
        endpoint_url=back.moto.url,
        aws_access_key_id="bench",
        aws_secret_access_key="bench-secret",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket="bench-media")
    return {
        "me_token": token_for(me_user["_id"]),
        "search_token": token_for(search_user["_id"]),
        "media_token": token_for(media_user["_id"]),
        "search_body": {
            "name": NEEDLE,
            "date_from": RANGE_FROM.strftime("%Y-%m-%d"),
            "date_to": RANGE_TO.strftime("%Y-%m-%d"),
        },
    }
