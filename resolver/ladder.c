/*
 * ladder.c - EDNS ladder decisions and rung memory.
 */
#include "config.h"

#include "ladder.h"

unsigned
ladder_rung_count(const struct ladder_config *config)
{
    return config->payload_count + 1 + (config->tcp ? 1 : 0);
}

uint16_t
ladder_rung_payload(const struct ladder_config *config, unsigned rung)
{
    return rung < config->payload_count ? config->payloads[rung] : 0;
}

bool
ladder_rung_is_tcp(const struct ladder_config *config, unsigned rung)
{
    return config->tcp && rung == config->payload_count + 1;
}

unsigned
ladder_start_rung(const struct ladder_config *config,
                  struct ladder_memory *memory, uint64_t now_ms)
{
    if (memory->set && now_ms < memory->expires_ms &&
        memory->rung < ladder_rung_count(config))
        return memory->rung;
    memory->set = false;
    return 0;
}

void
ladder_remember(const struct ladder_config *config,
                struct ladder_memory *memory, unsigned rung, uint64_t now_ms)
{
    if (rung == 0 || rung >= ladder_rung_count(config)) {
        memory->set = false;
        return;
    }
    memory->set = true;
    memory->rung = rung;
    memory->expires_ms = now_ms + config->memory_ms;
}

enum ladder_action
ladder_next(const struct ladder_config *config, unsigned rung,
            enum ladder_outcome outcome, unsigned *next_rung)
{
    unsigned count = ladder_rung_count(config);
    unsigned plain = config->payload_count;
    bool tcp = ladder_rung_is_tcp(config, rung);

    *next_rung = rung;
    switch (outcome) {
    case LADDER_ANSWER:
        return LADDER_DONE;

    case LADDER_TRUNCATED:
    case LADDER_MALFORMED:
        /* The full answer may arrive over TCP on the same server. */
        if (!tcp && config->tcp) {
            *next_rung = plain + 1;
            return LADDER_NEXT_RUNG;
        }
        return LADDER_NEXT_SERVER;

    case LADDER_EDNS_REJECTED:
        if (ladder_rung_payload(config, rung) != 0) {
            *next_rung = plain;
            return LADDER_NEXT_RUNG;
        }
        return LADDER_NEXT_SERVER;

    case LADDER_TIMEOUT:
        if (rung + 1 < count) {
            *next_rung = rung + 1;
            return LADDER_NEXT_RUNG;
        }
        return LADDER_NEXT_SERVER;

    case LADDER_SERVER_FAILURE:
    case LADDER_NETWORK:
        return LADDER_NEXT_SERVER;
    }
    return LADDER_NEXT_SERVER;
}
