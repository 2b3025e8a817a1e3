"""Flask extensions, created unbound and attached to an app in :func:`feedback.create_app`."""

from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Constraint names that Alembic can refer to on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    """Base class of every table, with named constraints."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Every engine checks a pooled connection before lending it (a cheap ``SELECT 1``), so
#: connections that a database restart cut are replaced, not handed to a request.
db = SQLAlchemy(model_class=Model, engine_options={"pool_pre_ping": True})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
compress = Compress()
