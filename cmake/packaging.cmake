# packaging.cmake - what `cmake --install` puts where beyond the programs
# (which server/, client/ and stress/ install themselves), and the Debian
# package:  cmake --install build [--prefix DIR]   |   cd build && cpack -G DEB
# Included at the end of the top-level CMakeLists.txt.  Every destination is
# relative to the install prefix, so --prefix and DESTDIR both hold.

# The contract, where rpcsvc-proto keeps the system's .x files, so that
# another program can run rpcgen on it.
install(FILES ${CMAKE_SOURCE_DIR}/inventario.x
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rpcsvc)

# Man pages in man/, each to the section its suffix names.  A program's own
# folder may ship its page instead (client/inventario-client.1, installed by
# client/CMakeLists.txt): then man/ must not install a second copy.
file(GLOB _inventario_pages ${CMAKE_SOURCE_DIR}/man/*.[1-8])
foreach(_page IN LISTS _inventario_pages)
  get_filename_component(_name ${_page} NAME)
  file(GLOB _elsewhere ${CMAKE_SOURCE_DIR}/server/${_name}
       ${CMAKE_SOURCE_DIR}/client/${_name} ${CMAKE_SOURCE_DIR}/stress/${_name})
  if(_elsewhere)
    message(STATUS "man/${_name}: not installed, ${_elsewhere} is")
    continue()
  endif()
  string(REGEX REPLACE ".*\\.([1-8])$" "\\1" _section ${_name})
  install(FILES ${_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_section})
endforeach()

# systemd: the unit and the system user it runs as.  Relative to the prefix:
# /usr/lib/systemd/system for the .deb, /usr/local/lib/systemd/system for a
# default `cmake --install` (systemd reads both).
set(INVENTARIO_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "Where the systemd unit goes, relative to the install prefix")
set(INVENTARIO_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
    "Where the sysusers.d file goes, relative to the install prefix")
install(FILES ${CMAKE_SOURCE_DIR}/dist/inventario.sysusers
        DESTINATION ${INVENTARIO_SYSUSERSDIR} RENAME inventario.conf)

# dist/inventario.service names /usr/sbin and /usr/share/doc, right for the
# .deb.  The prefix is only known at install time (cpack installs to /usr
# whatever the build was configured with), so the paths are rewritten then.
install(CODE "
  set(_unit_in \"${CMAKE_SOURCE_DIR}/dist/inventario.service\")
  set(_unit_out \"${CMAKE_BINARY_DIR}/dist/inventario.service\")
  set(_sbindir \"${CMAKE_INSTALL_SBINDIR}\")
  set(_docdir \"${CMAKE_INSTALL_DOCDIR}\")
  set(_unitdir \"${INVENTARIO_SYSTEMD_UNITDIR}\")
  foreach(_v _sbindir _docdir _unitdir)
    if(NOT IS_ABSOLUTE \"\${\${_v}}\")
      set(\${_v} \"\${CMAKE_INSTALL_PREFIX}/\${\${_v}}\")
    endif()
  endforeach()
  file(READ \"\${_unit_in}\" _unit)
  string(REPLACE \"/usr/sbin/inventario-server\" \"\${_sbindir}/inventario-server\" _unit \"\${_unit}\")
  string(REPLACE \"/usr/share/doc/inventario/\" \"\${_docdir}/\" _unit \"\${_unit}\")
  file(WRITE \"\${_unit_out}\" \"\${_unit}\")
  file(INSTALL DESTINATION \"\${_unitdir}\" TYPE FILE FILES \"\${_unit_out}\")
")

# The small CA for RPC-with-TLS (docs/operacion.md): the operator runs it on
# an administration machine; the server's own files go in /etc/inventario/tls,
# which the .deb's postinst creates.
install(PROGRAMS ${CMAKE_SOURCE_DIR}/scripts/certificados.sh
        DESTINATION ${CMAKE_INSTALL_DATADIR}/inventario)

# The documentation an operator needs on the machine.
file(GLOB _inventario_docs ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${_inventario_docs}
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The Debian package.
set(CPACK_PACKAGE_NAME inventario)
set(CPACK_PACKAGE_VENDOR TecnoMarket)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "servicio de inventario de TecnoMarket (ONC RPC, SQLite o PostgreSQL)")
set(CPACK_PACKAGE_CONTACT "Equipo de inventario de TecnoMarket <inventario@tecnomarket.invalid>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The long description; CPack puts the summary above it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"inventario-server guarda el stock de todas las sucursales en SQLite (o en
PostgreSQL, compartido por varios servidores) y lo sirve por ONC RPC (programa 541675094, alias inventario.servicio) a muchos
clientes a la vez.  inventario-client es el cliente de consola (menú y
órdenes para scripts); inventario-stress mide el servicio y comprueba que
no se pierde nada.  Incluye la unidad de systemd inventario.service.")
# rpcbind and the /etc/rpc alias are needed at run time; the libraries come
# from dpkg-shlibdeps where it runs, from this list where it does not.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "rpcbind, netbase")
find_program(DPKG_SHLIBDEPS dpkg-shlibdeps)
if(DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS
         ", libc6, libtirpc3, libsqlite3-0, libjansson4, libedit2, libunistring2, libgnutls30")
  if(INVENTARIO_WITH_PG)
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libpq5")
  endif()
endif()
# sqlite3 for backups; gnutls-bin (certtool) for certificados.sh.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "sqlite3, gnutls-bin")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/dist/debian/postinst
    ${CMAKE_SOURCE_DIR}/dist/debian/prerm
    ${CMAKE_SOURCE_DIR}/dist/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "__pycache__" "\\\\.db(-wal|-shm|-lock)?$")
include(CPack)
