/* processor/ruleset.h — the rule set of a configuration, compiled, with every
 * compile error formatted against the config file (FILE:LINE:COL and a caret). */
#ifndef PROC_RULESET_H
#define PROC_RULESET_H

#include "processor/config.h"
#include "rules/rules.h"

/* Compiles every rule of cfg, in order (rule i of the set is cfg->rules[i]).
 * Returns the set, or NULL with every error of every rule in diags, each as
 *   FILE:LINE:COL: rule 'NAME': message
 *       where = "diaSource.snr > > 5"
 *                                ^
 * Used by `check`, `eval` and `run` (at startup and on reload).
 * Each rule's `where` text moves to the set (rule_set_take: one copy of a
 * text that may hold a 1,000,000-item list): cfg->rules[i].where is NULL
 * once rule i compiled, and rule_set_where(set, i) gives it. */
rule_set *proc_ruleset_build(proc_config *cfg, proc_diags *diags);

/* What a good config may still want changed, each as
 *   FILE:LINE:COL: warning: definition 'NAME' is not used by any rule
 * (`check` and `eval` print them; they fail nothing). */
void proc_ruleset_warnings(const proc_config *cfg, const rule_set *rs, proc_diags *warnings);

/* proc_config_load then proc_ruleset_build: the set, or NULL with every error
 * of the file and of its rules in diags. cfg is always left freeable. */
rule_set *proc_ruleset_load(const char *path, proc_config *cfg, proc_diags *diags);

/* What `run` and a reload load: proc_ruleset_load and proc_config_check_run,
 * every error of both in diags (not only the first one's). */
rule_set *proc_ruleset_load_run(const char *path, proc_config *cfg, proc_diags *diags);

#endif
