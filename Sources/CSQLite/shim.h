// The system SQLite (Debian's libsqlite3-dev); the store (GRDB or direct calls) builds on it.
#include <sqlite3.h>
