# The fixture and the check for the WASI 0.2 command programs here.
#
#   cmake -DMAKE_FIXTURE=DIR -P check.cmake
# (re)makes DIR/root (the tree the programs see as "/") and DIR/outside.txt
# next to it, which no program may reach. node_expected.sh uses this too,
# so that kumi and node see the same tree.
#
#   cmake -DKUMI=kumi -DPROG=NAME -DWORK=DIR -P check.cmake
# makes the fixture in DIR, runs `kumi run --dir DIR/root::/ NAME.component.wasm`
# with stdin from stdin.txt, appends "exit status: N" to its stdout, and
# compares that with NAME.out (what `jco transpile` + node printed) after
# applying this program's lines of divergences.txt (where kumi rightly
# differs from node). Then checks that nothing outside DIR/root changed.
# With -DSCRIPT=path/to/script, kumi runs under script(1) instead, stdin,
# stdout and stderr on a pseudo-terminal: stdout is then compared with
# NAME.out as it is (node's shim takes every stdio stream for a terminal).
cmake_minimum_required(VERSION 3.14)
set(here ${CMAKE_CURRENT_LIST_DIR})

function(make_fixture dir)
  # dir is removed first: refuse anything but an absolute path below "/".
  if(NOT IS_ABSOLUTE "${dir}" OR "${dir}" MATCHES "^/*$")
    message(FATAL_ERROR "check.cmake: the fixture folder must be an absolute path, not '${dir}'")
  endif()
  file(REMOVE_RECURSE ${dir})
  set(r ${dir}/root)
  file(MAKE_DIRECTORY ${r}/tree/b/d ${r}/tree/zz_dir ${r}/empty ${r}/sub)
  file(WRITE ${dir}/outside.txt "outside\n")
  file(WRITE ${r}/hello.txt "hello, component\n")
  file(WRITE ${r}/tree/a.txt "a\n")
  file(WRITE ${r}/tree/b/c.txt "see\n")
  file(WRITE ${r}/tree/e.txt "")
  file(WRITE ${r}/tree/zz_dir/f.txt "ffff\n")
  file(WRITE ${r}/sub/inner.txt "inner\n")
  foreach(pair "a.txt:tree/link_to_a" "..:sub/up_one" "../..:sub/up_two" "sub/inner.txt:ok_link"
               "/etc/passwd:out_abs" "../outside.txt:out_rel" "../new.txt:out_new"
               "loop2:loop1" "loop1:loop2" "self:self")
    string(REPLACE ":" ";" pair "${pair}")
    list(GET pair 0 target)
    list(GET pair 1 name)
    file(CREATE_LINK ${target} ${r}/${name} SYMBOLIC)
  endforeach()
endfunction()

if(DEFINED MAKE_FIXTURE)
  make_fixture(${MAKE_FIXTURE})
  return()
endif()

foreach(v KUMI PROG WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check.cmake: -D${v}=... is missing")
  endif()
endforeach()
make_fixture(${WORK})
set(cmd ${KUMI} run --dir ${WORK}/root::/ ${here}/${PROG}.component.wasm)
if(DEFINED SCRIPT)
  # -e: script's exit status is kumi's. The terminal turns "\n" into "\r\n".
  list(JOIN cmd "' '" quoted)
  execute_process(COMMAND ${SCRIPT} -qec "'${quoted}'" /dev/null
                  INPUT_FILE /dev/null
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT 60)
  string(REPLACE "\r\n" "\n" out "${out}")
else()
  execute_process(COMMAND ${cmd}
                  INPUT_FILE ${here}/stdin.txt
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT 60)
endif()
set(got "${out}exit status: ${rc}\n")
message("stdout and exit status:\n${got}stderr:\n${err}")

# The expected output: node's, with the listed divergences applied. Each
# listed line must be there to be replaced, so a stale entry fails.
file(READ ${here}/${PROG}.out want)
set(want "\n${want}")
file(STRINGS ${here}/divergences.txt lines)
set(bad "")
foreach(line IN LISTS lines)
  if(line MATCHES "^#" OR line STREQUAL "" OR DEFINED SCRIPT)
    continue()
  endif()
  if(NOT line MATCHES "^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
    message(FATAL_ERROR "divergences.txt: not 4 tab-separated fields: ${line}")
  endif()
  set(prog "${CMAKE_MATCH_1}")
  set(node_line "${CMAKE_MATCH_2}")
  set(kumi_line "${CMAKE_MATCH_3}")
  if(NOT prog STREQUAL PROG)
    continue()
  endif()
  string(FIND "${want}" "\n${node_line}\n" at)
  if(at EQUAL -1)
    string(APPEND bad "divergences.txt: node's output has no line '${node_line}'\n")
  endif()
  string(REPLACE "\n${node_line}\n" "\n${kumi_line}\n" want "${want}")
endforeach()
string(SUBSTRING "${want}" 1 -1 want)

if(NOT got STREQUAL want)
  file(WRITE ${WORK}/want.txt "${want}")
  file(WRITE ${WORK}/got.txt "${got}")
  execute_process(COMMAND diff -u ${WORK}/want.txt ${WORK}/got.txt OUTPUT_VARIABLE d)
  string(APPEND bad "output differs from ${PROG}.out with divergences.txt applied:\n${d}")
endif()

# Nothing outside the sandbox root was made, changed or removed.
file(GLOB left RELATIVE ${WORK} ${WORK}/*)
list(REMOVE_ITEM left want.txt got.txt)
list(SORT left)
if(NOT left STREQUAL "outside.txt;root")
  string(APPEND bad "outside the root there is now: ${left}\n")
endif()
if(EXISTS ${WORK}/outside.txt)
  file(READ ${WORK}/outside.txt o)
  if(NOT o STREQUAL "outside\n")
    string(APPEND bad "outside.txt was changed\n")
  endif()
endif()
if(bad)
  message(FATAL_ERROR "${bad}")
endif()
file(REMOVE_RECURSE ${WORK})
