// The explicit, sorted registry of every module keel ships. One import per module file.
// Add a module: create modules/<area>/<noun>.ts exporting `default defineModule({...})`, then one line here.
import { Registry } from "../engine/core/registry.js";
import type { ModuleDef } from "../engine/core/module.js";
import databasesMysqlDb from "./databases/mysql_db.js";
import databasesMysqlReplication from "./databases/mysql_replication.js";
import databasesMysqlUser from "./databases/mysql_user.js";
import databasesPostgresqlDb from "./databases/postgresql_db.js";
import databasesPostgresqlPrivs from "./databases/postgresql_privs.js";
import databasesPostgresqlUser from "./databases/postgresql_user.js";
import filesBlockinfile from "./files/blockinfile.js";
import filesCopy from "./files/copy.js";
import filesFile from "./files/file.js";
import filesFind from "./files/find.js";
import filesGetUrl from "./files/get_url.js";
import filesIniFile from "./files/ini_file.js";
import filesLineinfile from "./files/lineinfile.js";
import filesOpensslDhparam from "./files/openssl_dhparam.js";
import filesReplace from "./files/replace.js";
import filesStat from "./files/stat.js";
import filesTempfile from "./files/tempfile.js";
import filesTemplate from "./files/template.js";
import filesUnarchive from "./files/unarchive.js";
import firewallNftables from "./firewall/nftables.js";
import firewallRule from "./firewall/rule.js";
import hardeningAuditdRunning from "./hardening/auditd_running.js";
import hardeningEmptyPasswords from "./hardening/empty_passwords.js";
import hardeningFilePerms from "./hardening/file_perms.js";
import hardeningKernelModule from "./hardening/kernel_module.js";
import hardeningMountOptions from "./hardening/mount_options.js";
import hardeningPamProfile from "./hardening/pam_profile.js";
import hardeningPamd from "./hardening/pamd.js";
import hardeningProfile from "./hardening/profile.js";
import hardeningSshdConfig from "./hardening/sshd_config.js";
import hardeningSystemAccounts from "./hardening/system_accounts.js";
import hardeningUid0 from "./hardening/uid0.js";
import hardeningUnownedFiles from "./hardening/unowned_files.js";
import hardeningWorldWritable from "./hardening/world_writable.js";
import packagesApt from "./packages/apt.js";
import packagesDebconf from "./packages/debconf.js";
import packagesDnf from "./packages/dnf.js";
import packagesGem from "./packages/gem.js";
import packagesNpm from "./packages/npm.js";
import packagesPackage from "./packages/package.js";
import packagesPackageFacts from "./packages/package_facts.js";
import packagesPip from "./packages/pip.js";
import patchesHold from "./patches/hold.js";
import patchesUpgrade from "./patches/upgrade.js";
import servicesService from "./services/service.js";
import servicesServiceFacts from "./services/service_facts.js";
import systemAssert from "./system/assert.js";
import systemCommand from "./system/command.js";
import systemCron from "./system/cron.js";
import systemDebug from "./system/debug.js";
import systemFail from "./system/fail.js";
import systemGetent from "./system/getent.js";
import systemHostname from "./system/hostname.js";
import systemIncludeVars from "./system/include_vars.js";
import systemLocaleGen from "./system/locale_gen.js";
import systemMount from "./system/mount.js";
import systemPamLimits from "./system/pam_limits.js";
import systemPause from "./system/pause.js";
import systemPing from "./system/ping.js";
import systemReboot from "./system/reboot.js";
import systemSetFact from "./system/set_fact.js";
import systemSetup from "./system/setup.js";
import systemShell from "./system/shell.js";
import systemSysctl from "./system/sysctl.js";
import systemTimezone from "./system/timezone.js";
import systemUri from "./system/uri.js";
import systemWaitFor from "./system/wait_for.js";
import usersAuthorizedKey from "./users/authorized_key.js";
import usersGroup from "./users/group.js";
import usersSudoers from "./users/sudoers.js";
import usersUser from "./users/user.js";

export const MODULES: readonly ModuleDef[] = [
  databasesMysqlDb,
  databasesMysqlReplication,
  databasesMysqlUser,
  databasesPostgresqlDb,
  databasesPostgresqlPrivs,
  databasesPostgresqlUser,
  filesBlockinfile,
  filesCopy,
  filesFile,
  filesFind,
  filesGetUrl,
  filesIniFile,
  filesLineinfile,
  filesOpensslDhparam,
  filesReplace,
  filesStat,
  filesTempfile,
  filesTemplate,
  filesUnarchive,
  firewallNftables,
  firewallRule,
  hardeningAuditdRunning,
  hardeningEmptyPasswords,
  hardeningFilePerms,
  hardeningKernelModule,
  hardeningMountOptions,
  hardeningPamProfile,
  hardeningPamd,
  hardeningProfile,
  hardeningSshdConfig,
  hardeningSystemAccounts,
  hardeningUid0,
  hardeningUnownedFiles,
  hardeningWorldWritable,
  packagesApt,
  packagesDebconf,
  packagesDnf,
  packagesGem,
  packagesNpm,
  packagesPackage,
  packagesPackageFacts,
  packagesPip,
  patchesHold,
  patchesUpgrade,
  servicesService,
  servicesServiceFacts,
  systemAssert,
  systemCommand,
  systemCron,
  systemDebug,
  systemFail,
  systemGetent,
  systemHostname,
  systemIncludeVars,
  systemLocaleGen,
  systemMount,
  systemPamLimits,
  systemPause,
  systemPing,
  systemReboot,
  systemSetFact,
  systemSetup,
  systemShell,
  systemSysctl,
  systemTimezone,
  systemUri,
  systemWaitFor,
  usersAuthorizedKey,
  usersGroup,
  usersSudoers,
  usersUser,
];

export const registry = new Registry(MODULES);
