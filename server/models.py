"""Import every model so metadata (create_all, Alembic autogenerate) sees all tables."""

from __future__ import annotations


def load_all() -> None:
    """Import the model modules of every resource package."""
    from .accounts import models as _accounts  # noqa: F401
    from .auth import models as _auth  # noqa: F401
    from .contacts import models as _contacts  # noqa: F401
    from .customfields import models as _customfields  # noqa: F401
    from .followups import models as _followups  # noqa: F401
    from .geocoding import models as _geocoding  # noqa: F401
    from .interactions import models as _interactions  # noqa: F401
    from .notes import models as _notes  # noqa: F401
    from .opportunities import models as _opportunities  # noqa: F401
    from .orders import models as _orders  # noqa: F401
    from .plans import models as _plans  # noqa: F401
    from .sync import models as _sync  # noqa: F401
