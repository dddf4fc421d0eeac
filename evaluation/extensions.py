"""Flask extensions, created here and bound to the app in create_app."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from evaluation.db import Base

db = SQLAlchemy(model_class=Base)

# The models' base: Flask-SQLAlchemy makes db.Model at run time, so a type checker is shown what it is.
if TYPE_CHECKING:

    class Model(Base):
        __abstract__ = True
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
