"""The ``users`` collection (core-models.md §2)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

import pymongo
from beanie import Indexed, PydanticObjectId
from pydantic import BaseModel, ConfigDict, Field
from pymongo import IndexModel

from app.models.base import TimestampedDocument, dump, utcnow

MAX_EMAIL_LENGTH = 254


def email_pattern(email: str) -> dict[str, str]:
    """An anchored, escaped, case-insensitive match (``$regex`` form, which every
    MongoDB-wire server understands, unlike a compiled pattern's flags)."""
    return {"$regex": f"^{re.escape(email)}$", "$options": "i"}


class Role(StrEnum):
    LANDLORD = "landlord"
    RESIDENT = "resident"
    ADMIN = "admin"
    COMPANY_ADMIN = "company-admin"
    SUPERADMIN = "superadmin"


ADMIN_ROLES = frozenset({Role.ADMIN, Role.SUPERADMIN})
SELF_REGISTRATION_ROLES = frozenset({Role.LANDLORD, Role.RESIDENT})


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    FROZEN = "frozen"
    SUSPENDED = "suspended"


BLOCKED_STATUSES = frozenset({UserStatus.FROZEN, UserStatus.SUSPENDED})


class LandlordInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    landlordName: str | None = None
    landlordLogo: str | None = None
    officerImage: str | None = None
    useLandlordLogoAsProfile: bool | None = False
    profileShape: Literal["square", "circle"] | None = None
    redirectUrlDefault: str | None = ""
    redirectUrlTailored: str | None = "www."


class MessageSettings(BaseModel):
    model_config = ConfigDict(extra="allow")

    messageOption: Literal["", "default", "tailored"] = ""
    tailoredMessage: str = ""
    defaultTextSize: str = "14px"
    tailoredTextSize: str = "14px"
    selectedButtonColor: str = "bg-green-800"


class PaginationSettings(BaseModel):
    model_config = ConfigDict(extra="allow")

    itemsPerPage: int = 10


class Folder(BaseModel):
    # The frontend keys folders by `id` (a string of epoch ms); `_id` stays too,
    # under another attribute name so the two never get confused.
    model_config = ConfigDict(extra="allow")

    oid: PydanticObjectId = Field(default_factory=PydanticObjectId, alias="_id")
    id: str
    name: str
    createdAt: datetime = Field(default_factory=utcnow)
    trashed: bool = False


# Fields never sent to a client (core-models.md §9), plus the port's own secrets.
SECRET_FIELDS: frozenset[str] = frozenset(
    {
        "password",
        "OTP",
        "resetPasswordToken",
        "resetPasswordExpire",
        "otpHash",
        "otpExpiresAt",
        "otpAttempts",
        "tokenVersion",
    }
)


class User(TimestampedDocument):
    email: Indexed(str, unique=True)  # type: ignore[valid-type]
    firstName: str = "Unknown"
    lastName: str = "User"
    phone: str = "Not provided"
    jobTitle: str = "Not specified"
    password: str
    isTemporaryPassword: bool = False
    role: Role = Role.LANDLORD
    status: UserStatus = UserStatus.ACTIVE
    company: str | None = None
    logo: str | None = None
    currentLoginTime: datetime | None = None
    previousLoginTime: datetime | None = None
    landlordInfo: LandlordInfo = Field(default_factory=LandlordInfo)
    messageSettings: MessageSettings = Field(default_factory=MessageSettings)
    paginationSettings: PaginationSettings = Field(default_factory=PaginationSettings)
    folders: list[Folder] = Field(default_factory=list)
    meetingFolders: dict[str, str] = Field(default_factory=dict)
    resetPasswordToken: str | None = None
    resetPasswordExpire: datetime | None = None
    deleted: bool = False
    deletedAt: datetime | None = None
    # Port additions: hashed one-time code with expiry and attempt counter, and
    # a token version that revokes every issued JWT when bumped.
    otpHash: str | None = None
    otpExpiresAt: datetime | None = None
    otpAttempts: int = 0
    tokenVersion: int = 0
    # True from /register until the first OTP verification proves the mailbox;
    # while pending, /register may be repeated for the same e-mail (a typo or a
    # lost code must not lock the address). Rows from the original lack the
    # key and count as verified.
    pendingVerification: bool = False

    class Settings:
        name = "users"
        indexes: ClassVar[list[Any]] = [
            IndexModel([("deleted", pymongo.ASCENDING), ("deletedAt", pymongo.ASCENDING)]),
            IndexModel([("role", pymongo.ASCENDING), ("deleted", pymongo.ASCENDING)]),
        ]

    @property
    def id_str(self) -> str:
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def can_sign_in(self) -> bool:
        return not self.deleted and self.status not in BLOCKED_STATUSES

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    @classmethod
    async def find_by_email(cls, email: str) -> User | None:
        """Case-insensitive look-up: the lower-case form first (everything the
        port writes), then an anchored, escaped regex for legacy mixed-case rows."""
        normalised = cls.normalise_email(email)
        # No address is longer than 254 characters (RFC 5321); a longer one would
        # only make the database refuse the regex below.
        if not normalised or len(normalised) > MAX_EMAIL_LENGTH:
            return None
        user = await cls.find_one({"email": normalised})
        if user is not None:
            return user
        return await cls.find_one({"email": email_pattern(normalised)})

    def public(self) -> dict[str, Any]:
        """The user as every response carries it: `_id` and profile fields, never secrets."""
        return dump(self, exclude=set(SECRET_FIELDS))


DOCUMENTS: list[type[TimestampedDocument]] = [User]
