"""The baseline: a minimal app on Rollcall's stack (Flask, Flask-SQLAlchemy, gunicorn, same DB).

It answers what one request of Rollcall's could cost at best: a fixed JSON body, one
indexed SELECT by userName, one indexed UPDATE by id, and one page query. Its table
(`bench_baseline`) holds the same users as Rollcall's, with the same document in `data`
and the same expression index on lower(user_name). The engine is set up by Rollcall's own
models/engine.py (WAL, busy timeout, BEGIN IMMEDIATE and the writer locks), so the two
differ only in what a request does; BASELINE_WRITE_LOCK=0 writes without those locks
(a deferred transaction and SQLite's busy handler), the trap docs/performance.md describes.

    gunicorn --config gunicorn.conf.py 'bench.baseline:create_app()'   # BASELINE_DATABASE_URL
"""

import json
import os
from contextlib import nullcontext

from flask import Flask
from flask import request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON
from sqlalchemy import DateTime
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from models.engine import configure_engine
from models.engine import writing


class Base(DeclarativeBase):
    metadata = MetaData()  # not Rollcall's: migrations never see this table


db = SQLAlchemy(model_class=Base)
PAGE = 100


class BaselineUser(db.Model):
    __tablename__ = "bench_baseline"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    user_name: Mapped[str] = mapped_column(String(512))
    title: Mapped[str | None] = mapped_column(String(512))
    department: Mapped[str | None] = mapped_column(String(512))
    data: Mapped[dict] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    created: Mapped[object] = mapped_column(DateTime)

    __table_args__ = (Index("ux_bench_baseline_user_name", func.lower(user_name), unique=True),)



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
        values = json.loads(request.get_data())
        stmt = (update(BaselineUser).where(BaselineUser.id == user_id)
                .values(title=values["title"], department=values["department"]))
        with writing(dialect) if locked else nullcontext():
            db.session.execute(stmt)
            db.session.commit()
        return {"id": user_id, "updated": True}

    @app.teardown_request
    def end(_error=None):
        db.session.remove()

