"""Migrations run as the database owner; the app runs as a role of its own that may only read
and write its tables.

On AWS each project's API task starts a `migrate` container first (the same image, docs/
auth-and-database.md): it signs in to Aurora directly as the cluster's master user, with the
password RDS keeps in Secrets Manager, migrates, and then (re)creates the app's role with the
password the RDS Proxy signs in with, granting it exactly what the app does with its tables:
read, insert, update and delete rows, and draw ids. The app container starts only when that
succeeded, and signs in to the proxy as its role with an IAM token: it can neither change the
schema, nor create roles, nor reach another database.

A project's migration command is one line: `run(prepare_database)` (see
`projects/lang_portal/backend/owner_migration.py`).
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg import sql
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import URL, Connection, Engine, create_engine
from sqlalchemy.engine import make_url

from modules.json_logging import configure_logging
from modules.settings import SettingsError, load_settings

logger = logging.getLogger(__name__)
# What the app does with its rows, and nothing it could do to the schema.
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
# Alembic's bookkeeping: the app may read the revision it runs against, only migrations write it.
MIGRATION_TABLE = "alembic_version"
ROLE_LOCK_KEY = 0x526F6C65  # "Role": held while a role is made, for the transaction


@dataclass(frozen=True)
class AppRole:
    name: str
    password: str
    database: str
    schema: str = "public"


class OwnerMigrationSettings(BaseSettings):
    """What the migration container gets: the app's DATABASE_URL (its role and database, the proxy's
    host), and the owner's way in: Aurora's writer endpoint, the master user and its password, and
    the app role's password (the one in the secret the proxy signs in with)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, frozen=True)

    database_url: str
    db_owner_host: str = Field(min_length=1)
    db_owner_port: int = Field(5432, ge=1, le=65535)
    db_owner_username: str = Field(min_length=1)
    db_owner_password: SecretStr
    db_app_password: SecretStr
    # Aurora refuses connections without TLS (rds.force_ssl); a local PostgreSQL may have none.
    db_owner_sslmode: Literal["require", "verify-ca", "verify-full", "disable"] = "require"
    db_connect_timeout_seconds: int = Field(10, ge=1, le=60)
    log_level: str = "INFO"
    service_name: str = "migrate"

    @field_validator("database_url")
    @classmethod
    def _names_a_role_and_database(cls, value: str) -> str:
        url = make_url(value)
        if not url.username or not url.database:
            raise ValueError("must name the app's role and database (postgresql://<role>@<host>/<database>)")
        if not url.drivername.startswith("postgresql"):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("db_app_password")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @property
    def app_role(self) -> AppRole:
        url = make_url(self.database_url)
        return AppRole(url.username, self.db_app_password.get_secret_value(), url.database)

    def owner_url(self) -> URL:
        """The app's database on Aurora's writer, as the owner."""
        return make_url(self.database_url).set(
            drivername="postgresql+psycopg", host=self.db_owner_host, port=self.db_owner_port,
            username=self.db_owner_username, password=self.db_owner_password.get_secret_value(),
            query={"sslmode": self.db_owner_sslmode})


def password_verifier(connection: Connection, role: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of the password, made by libpq on this side: the statement that
    sets it carries no password (Aurora logs every DDL statement, log_statement = ddl)."""
    raw = connection.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError("the app role is made on PostgreSQL through psycopg")
    return raw.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()


def ensure_app_role(connection: Connection, role: AppRole) -> None:
    """Create the role if it is missing, set its password and its grants; run it after every
    migration (a new table gets its grants, a rotated secret its password). Idempotent."""
    name, database, schema = sql.Identifier(role.name), sql.Identifier(role.database), sql.Identifier(role.schema)
    # Tasks that start together take turns (a second CREATE ROLE, or concurrent GRANTs, would fail).
    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%(key)s)", {"key": ROLE_LOCK_KEY})
    exists = connection.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %(role)s", {"role": role.name}).first()
    verifier = password_verifier(connection, role.name, role.password)
    statements = [
        sql.SQL("CREATE ROLE {} LOGIN").format(name) if not exists else None,
        # No inherited or special powers, whatever the role had before.
        sql.SQL("ALTER ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION "
                "NOBYPASSRLS PASSWORD {}").format(name, sql.Literal(verifier)),
        # Only roles granted CONNECT reach this database, and nobody but the owner creates objects.
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, name),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(schema),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, name),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(
            sql.SQL(", ").join(sql.SQL(p) for p in TABLE_PRIVILEGES), schema, name),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, name),
    ]
    has_migration_table = connection.exec_driver_sql(
        "SELECT 1 FROM pg_tables WHERE schemaname = %(schema)s AND tablename = %(table)s",
        {"schema": role.schema, "table": MIGRATION_TABLE}).first()
    if has_migration_table:
        statements.append(sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {}.{} FROM {}").format(
            schema, sql.Identifier(MIGRATION_TABLE), name))
    raw = connection.connection.driver_connection
    for statement in filter(None, statements):
        connection.exec_driver_sql(statement.as_string(raw))
    logger.info("app role ready", extra={"role": role.name, "database": role.database, "created": not exists})


def migrate_as_owner(settings: OwnerMigrationSettings, migrate: Callable[[Engine], None]) -> None:
    """Migrate (and seed) as the owner, then make the app's role fit the tables that now exist."""
    engine = create_engine(settings.owner_url(), connect_args={"connect_timeout": settings.db_connect_timeout_seconds})
    try:
        migrate(engine)
        with engine.begin() as connection:
            ensure_app_role(connection, settings.app_role)
    finally:
        engine.dispose()


def run(migrate: Callable[[Engine], None]) -> None:
    """The migration container's entry point: settings from the environment, a readable error
    (never a stack trace) when one is missing or wrong, exit status 0 only when everything held."""
    try:
        settings = load_settings(OwnerMigrationSettings)  # type: ignore[type-var]
    except SettingsError as error:
        print(f"migration cannot start: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.service_name)
    migrate_as_owner(settings, migrate)
