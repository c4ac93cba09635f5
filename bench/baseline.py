"""The baseline: a minimal app on Rollcall's stack (Flask, Flask-SQLAlchemy, gunicorn, same DB).

It answers what one request of Rollcall's could cost at best: a fixed JSON body, one
indexed SELECT by userName, one indexed UPDATE by id (title and department, or active),
one INSERT of a user from Entra's POST body (answered with the row as written), an
INSERT of up to 100 memberships (duplicates ignored) and one page query: the "bare
stack" of issue 20, doing a write's work without the audit trail, rules or checks. Its
table (`bench_baseline`) holds the same users as Rollcall's, with the same document in
`data` and the same expression index on lower(user_name). The engine is set up by Rollcall's own
models/engine.py (WAL, busy timeout, BEGIN IMMEDIATE and the writer locks), so the two
differ only in what a request does; BASELINE_WRITE_LOCK=0 writes without those locks
(a deferred transaction and SQLite's busy handler), the trap docs/performance.md describes.

    gunicorn --config gunicorn.conf.py 'bench.baseline:create_app()'   # BASELINE_DATABASE_URL
"""

import json
import os
import uuid
from contextlib import nullcontext
from datetime import UTC
from datetime import datetime

from flask import Flask
from flask import request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from models.engine import configure_engine
from models.engine import writing


class Base(DeclarativeBase):
    metadata = MetaData()  # not Rollcall's: migrations never see this table


db = SQLAlchemy(model_class=Base)
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PAGE = 100


class BaselineUser(db.Model):
    __tablename__ = "bench_baseline"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    user_name: Mapped[str] = mapped_column(String(512))
    title: Mapped[str | None] = mapped_column(String(512))
    department: Mapped[str | None] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    created: Mapped[object] = mapped_column(DateTime)

    __table_args__ = (Index("ux_bench_baseline_user_name", func.lower(user_name), unique=True),)


class BaselineMember(db.Model):
    """Memberships of the baseline's groups: a bare (group, user) pair, as a join table."""

    __tablename__ = "bench_baseline_members"

    group_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url or os.environ["BASELINE_DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db.init_app(app)
    locked = os.environ.get("BASELINE_WRITE_LOCK", "1") != "0"
    with app.app_context():
        configure_engine(db.engine)
        dialect = db.engine.dialect.name
    _routes(app, dialect, locked)
    return app


def _row(user: BaselineUser) -> dict:
    return {"id": user.id, "userName": user.user_name, **user.data}


def _routes(app: Flask, dialect: str, locked: bool) -> None:
    @app.get("/trivial")
    def trivial():
        return {"status": "ok", "schemas": ["urn:bench:trivial"]}

    @app.get("/select")
    def select_one():
        name = request.args["userName"]
        user = db.session.execute(select(BaselineUser).where(
            func.lower(BaselineUser.user_name) == name.lower())).scalar_one_or_none()
        body = {"totalResults": 0 if user is None else 1,
                "Resources": [] if user is None else [_row(user)]}
        db.session.rollback()
        return app.response_class(json.dumps(body), mimetype="application/json")

    @app.get("/page")
    def page():
        after = int(request.args.get("after", 0))
        rows = db.session.execute(select(BaselineUser).where(BaselineUser.seq > after)
                                  .order_by(BaselineUser.seq).limit(PAGE)).scalars()
        body = {"Resources": [_row(u) for u in rows]}
        db.session.rollback()
        return app.response_class(json.dumps(body), mimetype="application/json")

    @app.patch("/users/<user_id>")
    def update_one(user_id):
        body = json.loads(request.get_data())
        values = {k: body[k] for k in ("title", "department", "active") if k in body}
        stmt = update(BaselineUser).where(BaselineUser.id == user_id).values(**values)
        with writing(dialect) if locked else nullcontext():
            db.session.execute(stmt)
            db.session.commit()
        return {"id": user_id, "updated": True}

    @app.post("/users")
    def create_one():
        data = json.loads(request.get_data())
        enterprise = data.get(ENTERPRISE) or {}
        row = {"id": str(uuid.uuid4()), "user_name": data["userName"], "title": data.get("title"),
               "department": enterprise.get("department"), "active": data.get("active", True),
               "data": data, "created": datetime.now(UTC).replace(tzinfo=None)}
        with writing(dialect) if locked else nullcontext():
            db.session.execute(insert(BaselineUser), row)
            db.session.commit()
        body = {"id": row["id"], **data, "meta": {"created": row["created"].isoformat()}}
        return app.response_class(json.dumps(body), status=201, mimetype="application/json")

    add_members = (pg_insert(BaselineMember).on_conflict_do_nothing() if dialect == "postgresql"
                   else insert(BaselineMember).prefix_with("OR IGNORE"))

    @app.patch("/groups/<group_id>/members")
    def add_member_rows(group_id):
        ids = json.loads(request.get_data())["members"]
        with writing(dialect) if locked else nullcontext():
            db.session.execute(add_members, [{"group_id": group_id, "user_id": i} for i in ids])
            db.session.commit()
        return {"id": group_id, "added": len(ids)}

    @app.teardown_request
    def end(_error=None):
        db.session.remove()

