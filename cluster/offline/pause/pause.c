/*
 * The pod sandbox's "pause" process, written for the offline node image.
 *
 * It holds the pod's namespaces open and does nothing else: it sleeps until a signal
 * arrives. As PID 1 of a pod that shares its PID namespace it must also reap orphaned
 * children (SIGCHLD), or they stay zombies; SIGINT and SIGTERM end it with status 0 so
 * that stopping a sandbox is clean. Built with `gcc -static -Os`: no libc in the image.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_terminate(int sig) {
    (void)sig;
    _exit(0);
}

static void on_child(int sig) {
    (void)sig;
    int saved = errno;
    /* Several children may have ended behind one SIGCHLD: reap until none is left. */
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    errno = saved;
}

static void handle(int sig, void (*fn)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = fn;
    sigemptyset(&action.sa_mask);
    /* SA_RESTART: pause() below returns anyway; NOCLDSTOP: a stopped child is no event. */
    action.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
    if (sigaction(sig, &action, NULL) < 0) {
        perror("pause: sigaction");
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
        printf("pause (orchestra offline build) %s\n", PAUSE_VERSION);
        return 0;
    }
    if (getpid() != 1) {
        fprintf(stderr, "pause: warning: not running as PID 1\n");
    }
    handle(SIGINT, on_terminate);
    handle(SIGTERM, on_terminate);
    handle(SIGCHLD, on_child);
    for (;;) {
        pause();
    }
}
