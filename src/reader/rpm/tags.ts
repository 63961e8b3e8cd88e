/**
 * The rpm header tags, data types and flag bits mkrepo reads. Numbers mirror rpm's
 * `include/rpm/rpmtag.h` (rpmTag_e, rpmSigTag_e, rpmTagType_e), `include/rpm/rpmds.h`
 * (rpmsenseFlags_e) and `include/rpm/rpmfiles.h` (rpmfileAttrs_e), rpm 4.18.
 * @module
 */

/** Data types of header index entries (rpmTagType_e). */
export const TagType = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** Main header tags (rpmTag_e). */
export const Tag = {
  HEADERSIGNATURES: 62,
  HEADERIMMUTABLE: 63,
  LONGARCHIVESIZE: 271,
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  DESCRIPTION: 1005,
  BUILDTIME: 1006,
  BUILDHOST: 1007,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  PACKAGER: 1015,
  GROUP: 1016,
  URL: 1020,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  FILEMODES: 1030,
  FILEFLAGS: 1037,
  SOURCERPM: 1044,
  ARCHIVESIZE: 1046,
  PROVIDENAME: 1047,
  REQUIREFLAGS: 1048,
  REQUIRENAME: 1049,
  REQUIREVERSION: 1050,
  CONFLICTFLAGS: 1053,
  CONFLICTNAME: 1054,
  CONFLICTVERSION: 1055,
  CHANGELOGTIME: 1080,
  CHANGELOGNAME: 1081,
  CHANGELOGTEXT: 1082,
  OBSOLETENAME: 1090,
  SOURCEPACKAGE: 1106,
  PROVIDEFLAGS: 1112,
  PROVIDEVERSION: 1113,
  OBSOLETEFLAGS: 1114,
  OBSOLETEVERSION: 1115,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  OLDSUGGESTSNAME: 1156,
  OLDSUGGESTSVERSION: 1157,
  OLDSUGGESTSFLAGS: 1158,
  OLDENHANCESNAME: 1159,
  OLDENHANCESVERSION: 1160,
  OLDENHANCESFLAGS: 1161,
  LONGSIZE: 5009,
  RECOMMENDNAME: 5046,
  RECOMMENDVERSION: 5047,
  RECOMMENDFLAGS: 5048,
  SUGGESTNAME: 5049,
  SUGGESTVERSION: 5050,
  SUGGESTFLAGS: 5051,
  SUPPLEMENTNAME: 5052,
  SUPPLEMENTVERSION: 5053,
  SUPPLEMENTFLAGS: 5054,
  ENHANCENAME: 5055,
  ENHANCEVERSION: 5056,
  ENHANCEFLAGS: 5057,
} as const;

/** Signature header tags (rpmSigTag_e) that rpm merges into the main header. */
export const SigTag = {
  /** Header+payload size; merged as RPMTAG_SIGSIZE (257). */
  SIZE: 1000,
  /** Uncompressed payload size; merged as RPMTAG_ARCHIVESIZE when the header lacks it. */
  PAYLOADSIZE: 1007,
  /** 64-bit payload size; same number as RPMTAG_LONGARCHIVESIZE, merged as is. */
  LONGARCHIVESIZE: 271,
} as const;

/** Dependency flag bits (rpmsenseFlags_e). */
export const Sense = {
  LESS: 1 << 1,
  GREATER: 1 << 2,
  EQUAL: 1 << 3,
  POSTTRANS: 1 << 5,
  PREREQ: 1 << 6,
  PRETRANS: 1 << 7,
  INTERP: 1 << 8,
  SCRIPT_PRE: 1 << 9,
  SCRIPT_POST: 1 << 10,
  SCRIPT_PREUN: 1 << 11,
  SCRIPT_POSTUN: 1 << 12,
  /** Legacy weak dependency marker on Requires (rpm < 4.12 "Requires(hint)"). */
  MISSINGOK: 1 << 19,
  RPMLIB: 1 << 24,
  /** Legacy weak dependency strength in OLDSUGGESTS/OLDENHANCES. */
  STRONG: 1 << 27,
} as const;

/** File attribute bits (rpmfileAttrs_e). */
export const FileFlag = {
  CONFIG: 1 << 0,
  DOC: 1 << 1,
  GHOST: 1 << 6,
} as const;

/** st_mode type bits (S_IFMT, S_IFDIR) as stored in RPMTAG_FILEMODES. */
export const S_IFMT = 0o170000;
/** Directory type in st_mode. */
export const S_IFDIR = 0o040000;

/** Names for error messages; only the tags mkrepo reads. */
export const tagName: Record<number, string> = Object.fromEntries(
  Object.entries(Tag).map(([name, value]) => [value, name]),
);
