# rpcgen_cadena.cmake - makes rpcgen's XDR routines call inv_xdr_string by name.
#
# cmake -DXDR_C=inventario_xdr.c -P rpcgen_cadena.cmake, run by the top
# CMakeLists.txt right after rpcgen writes the file.  libtirpc's xdr_string
# ends a decoded string at an embedded NUL and drops the rest; the
# contract refuses such a string (common/xdr_cadena.h).  Every call of
# xdr_string in the generated file becomes a call of inv_xdr_string, and
# the file includes xdr_cadena.h and says so at its top: whoever reads the
# generated code sees the wrapper it calls.  Nothing else is changed.
file(READ ${XDR_C} text)
string(FIND "${text}" "xdr_string (" first)
if(first EQUAL -1)
  message(FATAL_ERROR "${XDR_C}: no xdr_string call to replace; has rpcgen changed?")
endif()
string(REPLACE "xdr_string (" "inv_xdr_string (" text "${text}")
string(REPLACE "#include \"inventario.h\"\n"
  "#include \"inventario.h\"\n/* Strings decode with inv_xdr_string (an embedded NUL stays visible):\n * cmake/rpcgen_cadena.cmake renamed every xdr_string call here. */\n#include \"xdr_cadena.h\"\n"
  text "${text}")
string(FIND "${text}" "#include \"xdr_cadena.h\"" included)
if(included EQUAL -1)
  message(FATAL_ERROR "${XDR_C}: #include \"inventario.h\" not found")
endif()
file(WRITE ${XDR_C} "${text}")
