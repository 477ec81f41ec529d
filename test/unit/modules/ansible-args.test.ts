// Every argument (and alias) of the Ansible modules keel's modules stand for is either in the
// module's schema (implemented, or accepted with nothing to do and said so) or refused at load
// with an error naming it: never silently dropped. The lists are Ansible's documented arguments
// (ansible-core 2.17). A module that gains an argument must move it from `refused` to its schema;
// one that loses it from its schema fails here.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registry } from "../../../modules/index.js";
import { loadPlaybook } from "../../../engine/playbook/index.js";

interface Row {
  /** Ansible's documented arguments and their aliases. */
  args: string;
  /** Those keel refuses at load (absent from the schema). */
  refused: string;
  /** A valid task body the refused argument is added to. */
  base: Record<string, unknown>;
}

const ANSIBLE: Record<string, Row> = {
  copy: {
    args: "attributes attr backup checksum content decrypt dest directory_mode follow force thirsty group local_follow mode owner remote_src selevel serole setype seuser src unsafe_writes validate",
    refused: "thirsty",
    base: { dest: "/tmp/x", content: "x" },
  },
  template: {
    args: "attributes attr backup block_end_string block_start_string comment_end_string comment_start_string dest follow force group lstrip_blocks mode newline_sequence output_encoding owner selevel serole setype seuser src trim_blocks unsafe_writes validate variable_end_string variable_start_string",
    refused: "",
    base: { dest: "/tmp/x", src: "x.j2" },
  },
  lineinfile: {
    args: "attributes attr backrefs backup create firstmatch group insertafter insertbefore line value mode owner path dest destfile name regexp regex search_string selevel serole setype seuser state unsafe_writes validate",
    refused: "",
    base: { path: "/tmp/x", line: "x" },
  },
  blockinfile: {
    args: "append_newline attributes attr backup block content create group insertafter insertbefore marker marker_begin marker_end mode owner path dest destfile name prepend_newline selevel serole setype seuser state unsafe_writes validate",
    refused: "append_newline prepend_newline",
    base: { path: "/tmp/x", block: "x" },
  },
  file: {
    args: "access_time access_time_format attributes attr follow force group mode modification_time modification_time_format owner path dest name recurse selevel serole setype seuser src state unsafe_writes",
    refused: "",
    base: { path: "/tmp/x", state: "touch" },
  },
  unarchive: {
    args: "attributes attr copy creates decrypt dest exclude extra_opts group include io_buffer_size keep_newer list_files mode owner remote_src selevel serole setype seuser src unsafe_writes validate_certs",
    refused: "",
    base: { src: "/tmp/x.tgz", dest: "/tmp", remote_src: true },
  },
  sysctl: { args: "ignoreerrors name key reload state sysctl_file sysctl_set value val", refused: "", base: { name: "vm.swappiness", value: "10" } },
  user: {
    args: "append authorization comment create_home createhome expires force generate_ssh_key group groups hidden home local login_class move_home name user non_unique password password_expire_max password_expire_min password_lock profile remove role seuser shell skeleton ssh_key_bits ssh_key_comment ssh_key_file ssh_key_passphrase ssh_key_type state system uid umask update_password",
    refused: "",
    base: { name: "deploy" },
  },
  timezone: { args: "hwclock rtc name", refused: "", base: { name: "UTC" } },
  command: {
    args: "argv chdir cmd creates expand_argument_vars free_form removes stdin stdin_add_newline strip_empty_ends",
    refused: "expand_argument_vars free_form",
    base: { cmd: "true" },
  },
  shell: { args: "chdir cmd creates executable free_form removes stdin stdin_add_newline", refused: "free_form", base: { cmd: "true" } },
  group: { args: "force gid local name non_unique state system gid_min gid_max", refused: "", base: { name: "g" } },
  authorized_key: {
    args: "comment exclusive follow key key_options manage_dir path state user validate_certs",
    refused: "",
    base: { user: "u", key: "ssh-ed25519 AAAA" },
  },
  service: {
    args: "arguments args enabled name pattern runlevel sleep state use",
    refused: "",
    base: { name: "ssh", state: "started" },
  },
  apt: {
    args: "allow_change_held_packages allow_downgrade allow-downgrade allow_downgrades allow-downgrades allow_unauthenticated allow-unauthenticated auto_install_module_deps autoclean autoremove cache_valid_time clean deb default_release default-release dpkg_options fail_on_autoremove force force_apt_get install_recommends install-recommends lock_timeout name package pkg only_upgrade policy_rc_d purge state update_cache update-cache update_cache_retries update_cache_retry_max_delay upgrade",
    refused: "",
    base: { name: "bash" },
  },
  dnf: {
    args: "allow_downgrade allowerasing autoremove bugfix cacheonly conf_file disable_excludes disable_gpg_check disable_plugin disablerepo download_dir download_only enable_plugin enablerepo exclude install_repoquery install_weak_deps installroot list lock_timeout name pkg nobest releasever security skip_broken sslverify state update_cache expire-cache update_only use_backend validate_certs",
    refused: "",
    base: { name: "bash" },
  },
  yum: {
    args: "allow_downgrade autoremove bugfix conf_file disable_excludes disable_gpg_check disable_plugin disablerepo download_dir download_only enable_plugin enablerepo exclude install_repoquery installroot list lock_timeout name pkg releasever security skip_broken sslverify state update_cache update_only use_backend validate_certs",
    refused: "",
    base: { name: "bash" },
  },
  package: { args: "name state use", refused: "", base: { name: "bash" } },
  uri: {
    args: "attributes attr body body_format ca_path ciphers client_cert client_key creates decompress dest follow_redirects force force_basic_auth group headers http_agent method mode owner remote_src removes return_content selevel serole setype seuser src status_code timeout unix_socket unredirected_headers unsafe_writes url url_password password url_username user use_gssapi use_netrc use_proxy validate_certs",
    refused: "ciphers use_gssapi",
    base: { url: "http://127.0.0.1/" },
  },
  pip: {
    args: "break_system_packages chdir editable executable extra_args name requirements state umask version virtualenv virtualenv_command virtualenv_python virtualenv_site_packages",
    refused: "",
    base: { name: "flask" },
  },
};

/** Arguments in the schema that stop the load anyway (validate), with the words the error must have. */
const REFUSED_IN_SCHEMA: Record<string, string[]> = {
  dnf: "allowerasing bugfix security conf_file disable_excludes disable_gpg_check download_dir download_only exclude installroot list nobest releasever skip_broken update_only".split(
    " ",
  ),
};
REFUSED_IN_SCHEMA.yum = REFUSED_IN_SCHEMA.dnf!;
REFUSED_IN_SCHEMA.user = ["local", "seuser", "ssh_key_passphrase"];

const dir = mkdtempSync(join(tmpdir(), "keel-ansible-args-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "x.j2"), "x\n");

function loadError(module: string, args: Record<string, unknown>): string | undefined {
  const f = join(dir, `pb-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(f, `- hosts: all\n  gather_facts: false\n  tasks:\n    - ${module}: ${JSON.stringify(args)}\n`);
  try {
    loadPlaybook(f, { registry });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe("Ansible's arguments of each aliased module: implemented, accepted, or refused at load by name", () => {
  for (const [ansible, row] of Object.entries(ANSIBLE)) {
    describe(ansible, () => {
      const m = registry.get(ansible)!;
      // an Ansible alias spelling (ModuleMeta.argAliases) is folded into its argument at load
      const props = new Set([...Object.keys((m.args.properties ?? {}) as object), ...Object.keys(m.argAliases ?? {})]);
      const refused = new Set(row.refused.split(" ").filter(Boolean));
      it("is a keel module", () => expect(m, ansible).toBeDefined());
      it("every argument is in the schema or refused", () => {
        const neither = row.args.split(" ").filter((a) => !props.has(a) && !refused.has(a));
        expect(neither, `arguments of ${ansible} neither in ${m.name}'s schema nor listed as refused`).toEqual([]);
        const stale = [...refused].filter((a) => props.has(a));
        expect(stale, `listed as refused but now in ${m.name}'s schema: move them out of refused`).toEqual([]);
      });
      it("the base task loads", () => expect(loadError(ansible, row.base)).toBeUndefined());
      for (const a of [...refused, ...(REFUSED_IN_SCHEMA[ansible] ?? [])]) {
        it(`${a}: the load stops, naming it`, () => {
          const err = loadError(ansible, { ...row.base, [a]: true });
          expect(err, `${ansible}: ${a} was accepted`).toBeDefined();
          expect(err).toContain(a);
        });
      }
    });
  }
});
