from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from auth.staff.models import StaffRole
from core.schemas import ResourceRead
from core.validation import DisplayName, Text, reject_explicit_nulls


class StaffLogin(BaseModel):
    email: EmailStr
    password: Text = Field(min_length=1, max_length=256)


class StaffTokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(description="Exchange once at /admin/v1/auth/refresh; it rotates on every use.")


class StaffRefresh(BaseModel):
    refresh_token: Text = Field(min_length=1, max_length=200)


def _lowercase(email: str) -> str:
    return email.lower()


StaffEmail = Annotated[EmailStr, AfterValidator(_lowercase)]
_ROLE = "`admin`, `staff` or `read_only`. `owner` is refused (422): ownership moves only by transfer."


class StaffMemberRead(ResourceRead):
    object: str = "staff_member"
    email: str
    name: str
    role: StaffRole
    is_active: bool
    invitation_pending: bool = Field(description="Invited and not yet accepted: no password, cannot sign in.")
    invited_at: datetime | None
    created_at: datetime
    last_login_at: datetime | None


class StaffInvite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: StaffEmail
    name: Annotated[Text, Field(max_length=200)] = ""
    role: StaffRole = Field(description=_ROLE)


class StaffUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName | None = None
    role: StaffRole | None = Field(default=None, description=_ROLE)

    @model_validator(mode="after")
    def _no_nulls(self) -> StaffUpdate:
        reject_explicit_nulls(self, "name", "role")
        return self


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Text = Field(min_length=1, max_length=200, description="The `act_...` token from the invitation mail.")
    password: Text = Field(description="12 to 256 characters.")
    name: DisplayName | None = Field(default=None, description="Replaces the name given in the invitation.")


class OwnershipTransfer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    staff_id: uuid.UUID = Field(description="An active member who has accepted their invitation.")
