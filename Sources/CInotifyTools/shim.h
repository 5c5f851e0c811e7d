// libinotifytools (Debian's libinotifytools0-dev): the spool's watcher on incoming/.
#include <inotifytools/inotifytools.h>
#include <inotifytools/inotify.h>
