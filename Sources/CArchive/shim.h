// libarchive (Debian's libarchive-dev): reading and safely unpacking job bundles.
#include <archive.h>
#include <archive_entry.h>
